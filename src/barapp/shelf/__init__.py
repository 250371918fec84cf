"""The bar's shelf: what an ingredient is (the knowledge base), what the bar stocks, and what
follows from it: strength, allergens, what can be made now."""
