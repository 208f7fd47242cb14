package schemas

import (
	"fmt"
	"regexp"
)

// Topics names the topics HeldSway reads and writes. The names are the
// public contract for payout systems: <prefix>.<name>.v1.
type Topics struct {
	// Prefix is the prefix the names were made with.
	Prefix       string
	Clicks       string
	Orders       string
	Refunds      string
	Codes        string // compacted, keyed by normalised code
	Attributions string
	Adjustments  string
	Flags        string
	DeadLetter   string
}

// DefaultTopicPrefix is the prefix used when none is configured.
const DefaultTopicPrefix = "heldsway"

var prefixRE = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,200}$`)

// NewTopics returns the topic names under prefix.
func NewTopics(prefix string) (Topics, error) {
	if !prefixRE.MatchString(prefix) {
		return Topics{}, fmt.Errorf("schemas: invalid topic prefix %q: use 1-200 of [a-zA-Z0-9._-]", prefix)
	}
	n := func(name string) string { return prefix + "." + name + ".v1" }
	return Topics{
		Prefix:       prefix,
		Clicks:       n("clicks"),
		Orders:       n("orders"),
		Refunds:      n("refunds"),
		Codes:        n("codes"),
		Attributions: n("attributions"),
		Adjustments:  n("adjustments"),
		Flags:        n("flags"),
		DeadLetter:   n("deadletter"),
	}, nil
}

// All returns every topic name, inputs first.
func (t Topics) All() []string {
	return []string{t.Clicks, t.Orders, t.Refunds, t.Codes, t.Attributions, t.Adjustments, t.Flags, t.DeadLetter}
}

// Internal names a topic private to HeldSway's stages (repartitioning,
// changelogs): <prefix>.internal.<name>.v1. They are not part of the
// public contract.
func (t Topics) Internal(name string) string { return t.Prefix + ".internal." + name + ".v1" }

// Compacted reports whether topic keeps only the latest record per key.
func (t Topics) Compacted(topic string) bool { return topic == t.Codes }
