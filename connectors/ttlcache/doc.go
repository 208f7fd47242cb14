// Package ttlcache is a small size-bounded LRU of strings whose entries
// expire after a TTL. The platform connectors cache id -> code lookups with
// it so a burst of webhooks does not become a burst of API calls.
package ttlcache
