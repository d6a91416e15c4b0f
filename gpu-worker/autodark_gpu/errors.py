"""The failures a job reports to its caller as {"error": message}."""


class JobError(Exception):
    """A failure whose message is meant for the client: it names the field, input or step."""
