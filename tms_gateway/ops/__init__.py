"""Operations: health, readiness and metrics endpoints, request ids and structured logs."""
