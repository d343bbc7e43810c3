class InputError(Exception):
    """A problem the user caused or can fix (bad file, failing URL, silent track...).

    The message is shown as is in the page or on the terminal, so write it for a person.
    """


class Cancelled(Exception):
    """Raised from a progress callback when the user cancelled the running stage."""
