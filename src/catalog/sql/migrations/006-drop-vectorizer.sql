-- drop_vectorizer gained drop_all; the one-argument form goes.
drop function if exists ai.drop_vectorizer(int4);
