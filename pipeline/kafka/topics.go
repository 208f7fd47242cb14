package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/heldsway/heldsway/schemas"
)

// ErrUnknownTopic is returned by Partitions for a topic the cluster does
// not have.
var ErrUnknownTopic = errors.New("kafka: topic does not exist")

// Topic is a topic to create when it is missing. Every topic HeldSway
// creates (the public set, the processor's internal topics, the stages'
// changelogs and dead-letter topics, the bench's own) is created through
// CreateTopics with one of these.
type Topic struct {
	// Name of the topic. Required.
	Name string
	// Partitions of the topic when created. Required (at least 1).
	Partitions int32
	// Replication factor when created; 0 or -1 uses the broker default.
	// Default -1.
	Replication int16
	// Compacted creates it with cleanup.policy=compact (the latest record
	// per key is kept), else cleanup.policy=delete. Default false.
	Compacted bool
}

// CreateTopics creates the topics that are missing and returns the
// partition count of every topic asked for: the count it already had, or
// the count it was created with. Existing topics are never changed. A
// topic another process creates at the same moment counts as existing.
//
// Topics are looked up with a metadata request of their own, not the
// client's metadata cache, which can still hold a topic as missing for a
// few seconds after it was created.
func CreateTopics(ctx context.Context, cl *kgo.Client, topics ...Topic) (map[string]int32, error) {
	names := make([]string, 0, len(topics))
	for _, t := range topics {
		if t.Name == "" || t.Partitions < 1 {
			return nil, fmt.Errorf("kafka: topic %q with %d partitions: want a name and at least 1 partition", t.Name, t.Partitions)
		}
		names = append(names, t.Name)
	}
	existing, err := describe(ctx, cl, names)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	out := make(map[string]int32, len(topics))
	var raced []string
	for _, t := range topics {
		if d := existing[t.Name]; d.err == nil {
			out[t.Name] = d.partitions
			continue
		}
		policy := "delete"
		if t.Compacted {
			policy = "compact"
		}
		repl := t.Replication
		if repl == 0 {
			repl = -1
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, repl, map[string]*string{"cleanup.policy": kadm.StringPtr(policy)}, t.Name)
		if err == nil {
			err = resp.Err
		}
		switch {
		case err == nil:
			out[t.Name] = t.Partitions
		case errors.Is(err, kerr.TopicAlreadyExists):
			// Another process (heldsway up beside heldsway broker, a
			// second processor instance) created it first.
			raced = append(raced, t.Name)
		default:
			return out, fmt.Errorf("kafka: creating topic %s: %w", t.Name, err)
		}
	}
	if len(raced) > 0 {
		n, err := Partitions(ctx, cl, raced...)
		if err != nil {
			return out, err
		}
		for k, v := range n {
			out[k] = v
		}
	}
	return out, nil
}

// Partitions returns the partition count of each topic; a topic that does
// not exist is an error wrapping ErrUnknownTopic. Like CreateTopics it asks
// the cluster, not the client's metadata cache.
func Partitions(ctx context.Context, cl *kgo.Client, topics ...string) (map[string]int32, error) {
	details, err := describe(ctx, cl, topics)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int32, len(topics))
	for _, t := range topics {
		d := details[t]
		if d.err != nil {
			if errors.Is(d.err, kerr.UnknownTopicOrPartition) {
				return nil, fmt.Errorf("%w: %s", ErrUnknownTopic, t)
			}
			return nil, fmt.Errorf("kafka: describing topic %s: %w", t, d.err)
		}
		out[t] = d.partitions
	}
	return out, nil
}

type topicDetail struct {
	partitions int32
	err        error // kerr.UnknownTopicOrPartition for a missing topic
}

// describe asks the cluster for the topics' metadata with a request of its
// own (kadm's listing answers from the client's cache).
func describe(ctx context.Context, cl *kgo.Client, topics []string) (map[string]topicDetail, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("kafka: describing topics: %w", err)
	}
	out := make(map[string]topicDetail, len(topics))
	for _, t := range topics {
		out[t] = topicDetail{err: kerr.UnknownTopicOrPartition}
	}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		out[*t.Topic] = topicDetail{partitions: int32(len(t.Partitions)), err: kerr.ErrorForCode(t.ErrorCode)}
	}
	return out, nil
}

// TopicSpec is the layout of HeldSway's public topics.
type TopicSpec struct {
	// Partitions of every topic. Default 4. Partitions bound how many
	// processor instances share the work.
	Partitions int32
	// Replication factor; -1 uses the broker default. Default -1.
	Replication int16
}

// PublicTopics returns the public topic set laid out by spec: every topic
// of topics.All, the codes topic compacted.
func PublicTopics(topics schemas.Topics, spec TopicSpec) []Topic {
	if spec.Partitions == 0 {
		spec.Partitions = 4
	}
	out := make([]Topic, 0, len(topics.All()))
	for _, name := range topics.All() {
		out = append(out, Topic{Name: name, Partitions: spec.Partitions, Replication: spec.Replication, Compacted: topics.Compacted(name)})
	}
	return out
}

// EnsureTopics creates the public topics that are missing (PublicTopics).
// Existing topics are left as they are, but a topic with fewer partitions
// than asked is reported in the returned warnings, since partitions cannot
// shrink and growing them moves keys.
func EnsureTopics(ctx context.Context, cl *kgo.Client, topics schemas.Topics, spec TopicSpec) (warnings []string, err error) {
	want := PublicTopics(topics, spec)
	have, err := CreateTopics(ctx, cl, want...)
	if err != nil {
		return nil, err
	}
	for _, t := range want {
		if n := have[t.Name]; n < t.Partitions {
			warnings = append(warnings, fmt.Sprintf("topic %s has %d partitions, configured %d; left unchanged", t.Name, n, t.Partitions))
		}
	}
	return warnings, nil
}
