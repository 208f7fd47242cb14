package schemas

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
)

// Register registers every current schema with the registry, each under
// the subject "<topic>-value" of the topic its records go to, and caches
// the ids. Calling it at start-up surfaces registry problems before the
// first record; without it each schema is registered on its first Encode.
func (s *Serde) Register(ctx context.Context) error {
	if s.reg == nil {
		return &noRegistryError{what: "Register called"}
	}
	for k := range numKinds {
		if _, err := s.register(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Subject returns the registry subject the current schema named name is
// registered under, or "" if there is no such record.
func (s *Serde) Subject(name string) string {
	k, ok := kindByName(name)
	if !ok {
		return ""
	}
	return k.subject(s.topics)
}

func (k kind) subject(t Topics) string { return k.topic(t) + "-value" }

// registeredID returns the registry id of the current schema of k,
// registering it on first use.
func (s *Serde) registeredID(k kind) (int, error) {
	s.mu.RLock()
	id := s.mu.idOf[k]
	s.mu.RUnlock()
	if id != 0 {
		return id, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	return s.register(ctx, k)
}

func (s *Serde) register(ctx context.Context, k kind) (int, error) {
	cur := known().current[k]
	subject := k.subject(s.topics)
	id, err := s.reg.RegisterSchema(ctx, subject, sr.Schema{Schema: cur.text, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		return 0, fmt.Errorf("registering %s under %s: %w: %w", k, subject, ErrRegistry, err)
	}
	s.mu.Lock()
	s.mu.idOf[k] = id
	s.mu.byID[id] = cur
	s.mu.Unlock()
	return id, nil
}

// schemaByID returns the writer schema with registry id id, fetching it on
// first sight. A schema that is one of the embedded versions (by
// fingerprint) resolves to it; any other must be a HeldSway record the
// current schema can read.
func (s *Serde) schemaByID(id int) (*schema, error) {
	s.mu.RLock()
	w := s.mu.byID[id]
	s.mu.RUnlock()
	if w != nil {
		return w, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	sch, err := s.reg.SchemaByID(ctx, id)
	if err != nil {
		var re *sr.ResponseError
		if errors.As(err, &re) && re.ErrorCode == sr.ErrSchemaNotFound.Code {
			return nil, fmt.Errorf("%w: registry has no schema id %d", ErrUnknownSchema, id)
		}
		return nil, fmt.Errorf("fetching schema id %d: %w: %w", id, ErrRegistry, err)
	}
	if sch.Type != sr.TypeAvro {
		return nil, fmt.Errorf("%w: schema id %d is %s, not Avro", ErrUnknownSchema, id, sch.Type)
	}
	if len(sch.References) > 0 {
		return nil, fmt.Errorf("%w: schema id %d has references, which HeldSway records do not use", ErrUnknownSchema, id)
	}
	w, err = newSchema(sch.Schema)
	if err != nil {
		if errors.Is(err, ErrUnknownSchema) {
			return nil, fmt.Errorf("schema id %d: %w", id, err)
		}
		return nil, fmt.Errorf("%w: schema id %d: %w", ErrUnknownSchema, id, err)
	}
	if same, ok := known().byRabin[w.rabin]; ok {
		w = same
	} else if err := compatible(known().current[w.kind].root, w.root); err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	s.mu.Lock()
	s.mu.byID[id] = w
	s.mu.Unlock()
	return w, nil
}
