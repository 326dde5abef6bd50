//! kafka-testbroker: a Kafka-wire-protocol broker for tests (being built; see issue 3).
