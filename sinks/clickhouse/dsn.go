package clickhouse

import (
	"errors"
	"net/url"
)

// errDSNNotURL is DSNWithPassword's one error: fixed text, so that it
// cannot show the DSN.
var errDSNNotURL = errors.New("--clickhouse: not a URL (the DSN is not shown: it may hold a password)")

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
		return "", errDSNNotURL
	}
	user := "default"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, pass)
	return u.String(), nil
}
