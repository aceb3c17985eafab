"""`jiangxin ledger check`: does every effect the platform owes exist exactly once?"""
