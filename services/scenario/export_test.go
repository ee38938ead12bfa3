package scenario

import "yaosu.dev/pkg/messaging"

// ConsumerOf returns s's consumer of rights and catalog events (nil without JetStream):
// tests create its durable before any replica pulls, to hold messages on it.
func ConsumerOf(s *Service) *messaging.Consumer { return s.consumer }
