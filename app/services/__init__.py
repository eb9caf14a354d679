"""Domain services: async functions that own queries, rules and the transaction."""
