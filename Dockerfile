FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The SYNTHETIC demo is imported into its own store in the image; users' imports go to the volume.
RUN pip install --no-cache-dir --no-deps -e . && python -m hotspots demo load
ENV HOTSPOTS_STORE=/data/store
VOLUME /data
EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0"]
