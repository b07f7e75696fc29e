"""The base every package stands on: settings (every environment variable), errors a user can fix,
the warehouse connection and its writer lock. It imports nothing of the project above it."""
