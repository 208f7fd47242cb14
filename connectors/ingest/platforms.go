package ingest

import (
	"context"
	"fmt"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
)

// webhookPlatforms builds the four platforms, in the order of Platforms.
// Stripe promotion code and Paddle discount ids are resolved from the
// registry first, then through the platform's API when a store has an API
// key.
func webhookPlatforms(cfg *Config, hasher *identity.Hasher, reg *registry.Registry) ([]webhook.Platform, error) {
	stripeCfg := stripe.Config{Topics: cfg.Topics, Hasher: hasher, Tolerance: cfg.WebhookTolerance, Promotions: stripe.Chain{registryStripe{reg}}}
	if keys := cfg.Stores["stripe"].APIKeys; len(keys) > 0 {
		api, err := stripe.NewClient(stripe.ClientConfig{BaseURL: cfg.StripeAPI, SecretKeys: keys})
		if err != nil {
			return nil, fmt.Errorf("stripe API client: %w", err)
		}
		stripeCfg.Promotions = stripe.Chain{registryStripe{reg}, api}
		stripeCfg.Invoices, stripeCfg.Payments = api, api
	}
	paddleCfg := paddle.Config{Topics: cfg.Topics, Hasher: hasher, Tolerance: cfg.WebhookTolerance, Discounts: paddle.Chain{registryPaddle{reg}}}
	if keys := cfg.Stores["paddle"].APIKeys; len(keys) > 0 {
		api, err := paddle.NewClient(paddle.ClientConfig{BaseURL: cfg.PaddleAPI, APIKeys: keys})
		if err != nil {
			return nil, fmt.Errorf("paddle API client: %w", err)
		}
		paddleCfg.Discounts = paddle.Chain{registryPaddle{reg}, api}
	}
	return []webhook.Platform{
		shopify.New(shopify.Config{Topics: cfg.Topics, Hasher: hasher}),
		woocommerce.New(woocommerce.Config{Topics: cfg.Topics, Hasher: hasher}),
		stripe.New(stripeCfg),
		paddle.New(paddleCfg),
	}, nil
}

// registryStripe resolves Stripe promotion code ids from the codes the
// registry synced to Stripe, before asking Stripe's API.
type registryStripe struct{ r *registry.Registry }

func (s registryStripe) Code(_ context.Context, store, promoID string) (string, error) {
	if c, ok := s.r.ByRemoteID("stripe", store, promoID); ok {
		return c.Code, nil
	}
	return "", fmt.Errorf("%w: %s not in the registry", stripe.ErrNotFound, promoID)
}

// registryPaddle does the same for Paddle discount ids.
type registryPaddle struct{ r *registry.Registry }

func (p registryPaddle) Code(_ context.Context, store, discountID string) (string, error) {
	if c, ok := p.r.ByRemoteID("paddle", store, discountID); ok {
		return c.Code, nil
	}
	return "", fmt.Errorf("%w: %s not in the registry", paddle.ErrNotFound, discountID)
}
