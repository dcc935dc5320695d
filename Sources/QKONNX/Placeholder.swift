import QKGraph
