"""ward-hotspots: the Streamlit script. Checks the sign-in and builds the navigation for its role."""

import streamlit as st

from ui import common

# An emoji icon: a Material icon name makes the browser fetch the favicon from Google Fonts.
st.set_page_config(page_title="Ward hotspots", page_icon="🗺️", layout="wide")

account = common.signed_in_account()
navigation = st.navigation(common.pages_for(account.permissions))
common.account_sidebar(account)
common.run_page(navigation, account.permissions)
