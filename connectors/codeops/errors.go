package codeops

// ConfigError is an error in what the caller asked for rather than in
// running it; its message is the underlying error's.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// IsConfig marks the error as the caller's configuration (a command exits
// 2 on it).
func (e *ConfigError) IsConfig() bool { return true }
