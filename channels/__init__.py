"""Custom Rasa input channels. ``channels.widget.WidgetInput`` serves the website widget."""
