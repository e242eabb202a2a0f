"""ward-hotspots: the Streamlit entry point. Defines navigation only."""

import streamlit as st

# An emoji icon: a Material icon name makes the browser fetch the favicon from Google Fonts.
st.set_page_config(page_title="Ward hotspots", page_icon="🗺️", layout="wide")

navigation = st.navigation([
    st.Page("pages/ward_map.py", title="Ward map", icon=":material/map:", default=True),
    st.Page("pages/ward_profile.py", title="Ward profile", icon=":material/location_city:"),
    st.Page("pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
])
navigation.run()
