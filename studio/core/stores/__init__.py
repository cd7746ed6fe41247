"""One store class per aggregate. Each public method opens a session scope and returns frozen
dataclasses; ORM rows never leave a store (MLflow's sqlalchemy_store is the model)."""
