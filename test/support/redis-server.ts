// The tests' redis-server: the one helper the benchmark uses too (scripts/lib/redis-server.ts).
export { freePort, startRedis, type RunningRedis } from '../../scripts/lib/redis-server.ts';
