"""refbot: a virtual reference desk for libraries on WhatsApp."""

__version__ = "0.1.0"
