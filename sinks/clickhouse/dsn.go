package clickhouse

import (
	"errors"
	"net/url"
)

// DSNWithPassword returns dsn with its password set to pass, replacing
// any password it has; the user defaults to ClickHouse's "default". An
// empty pass returns dsn unchanged. The error never shows dsn: it may hold
// a password.
func DSNWithPassword(dsn, pass string) (string, error) {
	if pass == "" {
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("--clickhouse: not a URL (the DSN is not shown: it may hold a password)")
	}
	user := "default"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, pass)
	return u.String(), nil
}
