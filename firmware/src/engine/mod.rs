//! The int8 score network engine: loads a quantised blob and runs it with integer arithmetic (no heap).
