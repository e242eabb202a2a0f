"""Streamlit helpers shared by the pages: set-up, cached data, the synthetic-data banner."""
