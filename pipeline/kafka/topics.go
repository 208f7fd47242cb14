package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/schemas"
)

// TopicSpec is the layout of HeldSway's topics.
type TopicSpec struct {
	// Partitions of every topic. Default 4. Partitions bound how many
	// processor instances share the work.
	Partitions int32
	// Replication factor; -1 uses the broker default. Default -1.
	Replication int16
}

// EnsureTopics creates the topics that are missing, with the codes topic
// compacted. Existing topics are left as they are, but a topic with fewer
// partitions than asked is reported in the returned warnings, since
// partitions cannot shrink and growing them moves keys.
func EnsureTopics(ctx context.Context, cl *kgo.Client, topics schemas.Topics, spec TopicSpec) (warnings []string, err error) {
	if spec.Partitions == 0 {
		spec.Partitions = 4
	}
	if spec.Replication == 0 {
		spec.Replication = -1
	}
	adm := kadm.NewClient(cl)
	existing, err := adm.ListTopics(ctx, topics.All()...)
	if err != nil {
		return nil, fmt.Errorf("kafka: listing topics: %w", err)
	}
	for _, name := range topics.All() {
		if d, ok := existing[name]; ok && d.Err == nil {
			if n := int32(len(d.Partitions)); n < spec.Partitions {
				warnings = append(warnings, fmt.Sprintf("topic %s has %d partitions, configured %d; left unchanged", name, n, spec.Partitions))
			}
			continue
		}
		configs := map[string]*string{}
		if topics.Compacted(name) {
			configs["cleanup.policy"] = kadm.StringPtr("compact")
		} else {
			configs["cleanup.policy"] = kadm.StringPtr("delete")
		}
		resp, err := adm.CreateTopic(ctx, spec.Partitions, spec.Replication, configs, name)
		if err == nil {
			err = resp.Err
		}
		// Another process (heldsway up beside heldsway broker) may create
		// it first; kadm reports that as the call's error.
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return warnings, fmt.Errorf("kafka: creating topic %s: %w", name, err)
		}
	}
	return warnings, nil
}
