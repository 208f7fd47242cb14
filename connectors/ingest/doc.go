// Package ingest is the HTTP edge as one service: store webhooks (Shopify,
// WooCommerce, Stripe, Paddle), click tracking, the conversion API and the
// code registry's admin API, publishing canonical Avro events to Kafka.
//
// A Config (field comments state the defaults; EnsureDefaults and Validate)
// is turned into an Ingest by New, which loads the code registry before it
// returns; Run serves until its context ends and then closes everything.
// cmd/heldsway only turns flags into a Config.
//
// A request is answered 2xx only after Kafka has acknowledged its event; a
// correctly signed webhook whose content is unusable is dead-lettered with
// the reason and answered 2xx too. See connectors/webhook, connectors/click
// and connectors/conversion for the handlers.
package ingest
