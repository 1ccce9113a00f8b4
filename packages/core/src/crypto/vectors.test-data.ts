// Official vectors of the protocol reference §1.8 (A–D official, E1 computed regression data).
export interface Vector {
  name: string
  token: string
  aesKey: string
  receiveId: string
  timestamp: string
  nonce: string
  encrypt: string
  signature: string
  message: string
  random: string
}

export const VECTORS: Vector[] = [
  {
    name: 'A (official docs debug vector, suite creation)',
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    receiveId: 'suite4xxxxxxxxxxxxxxx',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt:
      '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
    signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
    message:
      '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
    random: 'hU3bEfGZZewzhG5a',
  },
  {
    name: 'B (official lib vector, reply "success")',
    token: 'tokenxxxx',
    aesKey: 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus',
    receiveId: 'dingxxxxxx',
    timestamp: '1605695694141',
    nonce: 'WelUQl6bCqcBa2fM',
    encrypt: 'X1VSe9cTJUMZu60d3kyLYTrBq5578ZRJtteU94wG0Q4Uk6E/wQYeJRIC0/UFW5Wkya1Ihz9oXAdLlyC9TRaqsQ==',
    signature: 'f36f4ba5337d426c7d4bca0dbcb06b3ddc1388fc',
    message: 'success',
    random: 'WelUQl6bCqcBa2fM',
  },
  {
    name: 'C (official lib vector, check_url)',
    token: 'mryue',
    aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
    receiveId: 'ding6ccabc44d2c8d38b',
    timestamp: '1608001896814',
    nonce: 'WL4PK6yA',
    encrypt:
      '0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3',
    signature: '03044561471240d4a14bb09372dfcfd4fd0e40cb',
    message: '{"EventType":"check_url"}',
    random: 'l7Y3EcX2CU5w8av3',
  },
  {
    name: 'D (deterministic encryption, fixed random)',
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    receiveId: 'suite4xxxxxxxxxxxxxxx',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt:
      '5DJFWzjRNOQk+5GSZxW+VrFMDWCIidPjEjg3//gm5x556BedVi62rDj1F9uXU97a4jw1R4FACUv9RCpoDobNqxhxRB2YtW901k4KHbP1/wpFJ3xdLG0n0A8U1VhENg80zKJd+YROR0YMGum4WYuoXJ6J98vt0ihYeIFoapNddLML5MyNAGM9saSpkouDMSvD+iU14i7V8ix1ia1Tb9ogog==',
    signature: 'bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd',
    message:
      '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
    random: '1234567890123456',
  },
  {
    name: 'E1 (computed regression vector, reply "success")',
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    receiveId: 'suite4xxxxxxxxxxxxxxx',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt: '5DJFWzjRNOQk+5GSZxW+VpU/+Yf0KeplvXZ8LNdyQj5iN6tX2KSwwhy5oymzMpsFAiG4RS3L0/vY7TX4ZwLTFA==',
    signature: '73813ea128535f7945c17f81069c6b8045361375',
    message: 'success',
    random: '1234567890123456',
  },
]
