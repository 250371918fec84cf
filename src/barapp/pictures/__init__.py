"""Pictures of the drinks: image services, the picture job, media storage, the built-in
illustration, and their routes."""
