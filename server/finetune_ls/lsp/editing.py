"""(registered later)"""
