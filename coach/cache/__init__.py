"""The content-addressed store that speech clips, their levels and music beds share."""
