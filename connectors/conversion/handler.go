package conversion

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/schemas"
)

// Publisher is what the handlers need from package publish.
type Publisher interface {
	Publish(ctx context.Context, events ...publish.Event) error
}

// Handlers serves the conversion API.
type Handlers struct {
	Publisher Publisher
	Hasher    *identity.Hasher
	Topics    schemas.Topics
	// MaxBodyBytes caps a request body. Default 64 KiB, and never more
	// than the server's MaxBodyBytes (see Register).
	MaxBodyBytes int64
	// AcceptedOrders is how many accepted orders are remembered (each for
	// AcceptedTTL) so that an order id posted again with different money,
	// currency, codes or customer is answered 409 instead of being
	// acknowledged and dropped as a duplicate. Defaults
	// DefaultAcceptedOrders and DefaultAcceptedTTL. The memory is this
	// process's: past it, or through another instance, such a post is
	// accepted and the processor revises the order as an update (or
	// dead-letters it after the revision window).
	AcceptedOrders int
	AcceptedTTL    time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives the handlers' logs. Default zap.NewNop().
	Logger *zap.Logger

	accepted accepted

	// serverMax is the server's MaxBodyBytes, set by Register.
	serverMax int64
}

// Register mounts the API on s behind the bearer token.
func (h *Handlers) Register(s *edge.Server, token string) {
	h.serverMax = s.Config().MaxBodyBytes
	s.Handle("POST /v1/conversions", edge.RequireBearer(token, http.HandlerFunc(h.conversion)))
	s.Handle("POST /v1/refunds", edge.RequireBearer(token, http.HandlerFunc(h.refund)))
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (h *Handlers) log() *zap.Logger {
	if h.Logger == nil {
		return zap.NewNop()
	}
	return h.Logger
}

func (h *Handlers) body(w http.ResponseWriter, r *http.Request, v any) bool {
	max := h.MaxBodyBytes
	if max == 0 {
		max = 64 << 10
	}
	if h.serverMax > 0 {
		max = min(max, h.serverMax)
	}
	b, err := edge.ReadBody(w, r, max)
	if err != nil {
		return false
	}
	if err := edge.DecodeJSON(b, v); err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

func (h *Handlers) conversion(w http.ResponseWriter, r *http.Request) {
	var req OrderRequest
	if !h.body(w, r, &req) {
		return
	}
	o, err := req.ToOrder(h.Hasher, h.now())
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	ref := schemas.OrderRef(Platform, o.StoreID, o.OrderID)
	h.accepted.init(h.AcceptedOrders, h.AcceptedTTL)
	now := h.now()
	if prev, ok := h.accepted.lookup(ref, now); ok {
		if diff := conflict(prev, o); diff != "" {
			edge.WriteError(w, http.StatusConflict, fmt.Sprintf(
				"order_id %q (store %q) was accepted with different %s; an order's money, currency, codes and customer cannot change: send a refund, or a new order id",
				o.OrderID, o.StoreID, diff))
			return
		}
	}
	if h.publish(w, r, publish.Event{Topic: h.Topics.Orders, Key: o.Customer.Key, Value: o}, o.EventID) {
		h.accepted.remember(ref, strings.Join(orderFields(o), "\x1f"), now)
	}
}

func (h *Handlers) refund(w http.ResponseWriter, r *http.Request) {
	var req RefundRequest
	if !h.body(w, r, &req) {
		return
	}
	rf, err := req.ToRefund(h.now())
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	key := schemas.OrderRef(Platform, rf.StoreID, rf.OrderID)
	h.publish(w, r, publish.Event{Topic: h.Topics.Refunds, Key: key, Value: rf}, rf.EventID)
}

// publish publishes ev and answers; it reports whether Kafka has it.
func (h *Handlers) publish(w http.ResponseWriter, r *http.Request, ev publish.Event, eventID string) bool {
	if err := h.Publisher.Publish(r.Context(), ev); err != nil {
		if errors.Is(err, publish.ErrUnavailable) {
			w.Header().Set("Retry-After", "5")
			edge.WriteError(w, http.StatusServiceUnavailable, "event not stored: kafka unavailable, retry later")
			return false
		}
		h.log().Error("publishing event", zap.String("topic", ev.Topic), zap.Error(err))
		edge.WriteError(w, http.StatusInternalServerError, "event not stored")
		return false
	}
	edge.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "accepted", "event_id": eventID})
	return true
}
