"""What comes into the ledger in bulk: old ledgers and 12386 exports (import), and the demo scenario."""
