"""ward-hotspots: the web application. ``streamlit run app.py`` serves it (uvicorn, Starlette).

The sign-in routes (``ui.sign_in_page``) and the middleware that sends every signed-out request
to them (``ui.session_guard``) stand in front of the Streamlit script, ``dashboard.py``, which
builds the navigation for the signed-in role.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from ui import session_guard, sign_in_page

# With a pages/ folder beside the script, Streamlit runs a session's first script run in its old
# multipage mode, where an address such as /data runs pages/data.py without dashboard.py (without
# the sign-in check and the role's navigation) until st.navigation is first called. We use
# st.navigation only: say so before any session starts.
PagesManager.uses_pages_directory = False
app = st.App("dashboard.py", routes=sign_in_page.routes(), middleware=[Middleware(session_guard.SessionGuard)])
