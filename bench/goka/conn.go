package goka

import (
	"fmt"
	"hash"
	"strings"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"

	"github.com/heldsway/heldsway/pipeline/kafka"
)

// saramaConfig is the Sarama configuration Goka connects with, derived
// from conn as franz-go's options are (kafka.Conn.Opts): the seed brokers
// (returned, since Goka takes them apart), the client id, TLS and SASL
// PLAIN. SCRAM is refused: Sarama needs a SCRAM client implementation the
// module does not carry.
func saramaConfig(conn kafka.Conn) ([]string, *sarama.Config, error) {
	conn.EnsureDefaults()
	if err := conn.Validate(); err != nil {
		return nil, nil, err
	}
	sc := goka.DefaultConfig()
	sc.Version = sarama.V2_8_0_0
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.ClientID = conn.ClientID
	tc, err := conn.TLSConfig()
	if err != nil {
		return nil, nil, err
	}
	if tc != nil {
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	switch m := strings.ToUpper(conn.SASLMechanism); m {
	case "":
	case "PLAIN":
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		sc.Net.SASL.User = conn.SASLUser
		sc.Net.SASL.Password = conn.SASLPassword
	default:
		return nil, nil, fmt.Errorf("goka: SASL %s: the Goka peer supports only PLAIN", m)
	}
	return append([]string(nil), conn.Brokers...), sc, nil
}

// clients builds Goka's Sarama clients, each from its own copy of one
// configuration: goka's *WithConfig builders set the client id and the
// partitioner on the config they share, while the clients built before
// read it (a data race), and Goka's default builders ignore the config
// (no TLS, no SASL) altogether.
type clients struct {
	sc *sarama.Config
	tm *goka.TopicManagerConfig
}

// config returns a copy of the shared configuration for one client.
func (c clients) config(clientID string) *sarama.Config {
	cp := *c.sc
	cp.ClientID = clientID
	return &cp
}

func (c clients) producer(brokers []string, clientID string, hasher func() hash.Hash32) (goka.Producer, error) {
	sc := c.config(clientID)
	sc.Producer.Partitioner = sarama.NewCustomHashPartitioner(hasher)
	return goka.NewProducer(brokers, sc)
}

func (c clients) consumerGroup(brokers []string, group, clientID string) (sarama.ConsumerGroup, error) {
	return sarama.NewConsumerGroup(brokers, group, c.config(clientID))
}

func (c clients) consumer(brokers []string, clientID string) (sarama.Consumer, error) {
	return sarama.NewConsumer(brokers, c.config(clientID))
}

func (c clients) topicManager(brokers []string) (goka.TopicManager, error) {
	return goka.NewTopicManager(brokers, c.config(c.sc.ClientID), c.tm)
}

// processorOptions are the options connecting a goka.Processor.
func (c clients) processorOptions() []goka.ProcessorOption {
	return []goka.ProcessorOption{
		goka.WithClientID(c.sc.ClientID),
		goka.WithConsumerGroupBuilder(c.consumerGroup),
		goka.WithConsumerSaramaBuilder(c.consumer),
		goka.WithProducerBuilder(c.producer),
		goka.WithTopicManagerBuilder(c.topicManager),
	}
}

// viewOptions are the options connecting a goka.View.
func (c clients) viewOptions() []goka.ViewOption {
	return []goka.ViewOption{
		goka.WithViewClientID(c.sc.ClientID),
		goka.WithViewConsumerSaramaBuilder(c.consumer),
		goka.WithViewTopicManagerBuilder(c.topicManager),
	}
}
