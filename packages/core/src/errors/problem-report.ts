/** The call an error came from, with every secret already removed. */
export interface RequestSummary {
  method: string
  /** The API URL without any query string, e.g. `https://oapi.dingtalk.com/topapi/v2/user/get`. */
  api: string
  /** Path as passed to the client, e.g. `/topapi/v2/user/get`. */
  path: string
  /** Query and body parameters, secret-named keys and known secret values replaced by `[redacted]`. */
  params: Record<string, unknown>
  /** When the first attempt started. */
  time: Date
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** Beijing time (UTC+8), the FAQ’s example format `2015-6-16 10:03:50`. */
export function formatBeijingTime(time: Date): string {
  const t = new Date(time.getTime() + 8 * 3600_000)
  const date = `${t.getUTCFullYear()}-${t.getUTCMonth() + 1}-${t.getUTCDate()}`
  return `${date} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} (UTC+8)`
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll(/\r?\n/g, ' ')

// The template the FAQ asks for (reference §11), in its order, plus request_id.
export function renderProblemReport(input: {
  company?: string | undefined
  egressIp?: string | undefined
  request: RequestSummary
  result: string
  requestId: string | undefined
}): string {
  const rows: [string, string][] = [
    ['企业完整名称 Company', input.company ?? '(your company’s full name)'],
    ['访问接口的路径 API', input.request.api],
    ['输入参数 Parameters', JSON.stringify(input.request.params)],
    ['发起请求的服务器的外网IP地址 Egress IP', input.egressIp ?? '(public IP of the calling server)'],
    ['发起请求的时间点 Time', formatBeijingTime(input.request.time)],
    ['返回的错误结果 Result', input.result],
  ]
  if (input.requestId !== undefined) rows.push(['request_id', input.requestId])
  return ['| field | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)].join('\n')
}
