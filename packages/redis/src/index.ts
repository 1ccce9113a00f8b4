export {
  type RedisBreakerOptions,
  type RedisClient,
  type RedisStore,
  type RedisStoreOptions,
  redisStore,
} from './store'
