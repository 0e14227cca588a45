"""Collection: releasing assignments to the exchange and collecting students' submissions."""
