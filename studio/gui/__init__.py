"""The desktop face of the studio (Qt only). Panes call services in studio.core and render the results."""
