// The config package's public surface: the daemon, the API and the CLI import from here.
export { loadConfig, parseListen, ConfigError, type LoadConfigOptions, type LoadedConfig } from './load-config.js';
export { type Config, type LogLevel, LOG_LEVELS, DEFAULT_CONFIG_PATH, DEFAULT_DATA_DIR } from './schema.js';
export { parseDurationMs, DurationError } from './duration.js';
export { ensureNodeId } from './node-id.js';
