//! JSON twins of every operation, for the bindings and tools: JSON in, JSON out.
