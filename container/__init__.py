"""Building and checking the container images (make image, make image-check)."""
