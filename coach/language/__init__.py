"""The languages the coach speaks: one catalogue per language of every phrase it adds."""
