"""AutoDark GPU worker internals: media plans (plan, executor) and transcription."""
