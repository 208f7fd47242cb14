package goka

import (
	"fmt"
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
