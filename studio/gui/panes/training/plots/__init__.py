"""Live training charts (pyqtgraph): numpy buffers with peak levels, a feed thread, the linked charts."""
