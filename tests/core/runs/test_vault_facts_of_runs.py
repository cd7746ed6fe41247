"""What the Vault lists of the versions a real (tiny) training run writes: its family, context and size, while the
run is live (nothing committed yet) and after it, and for a version stored from the run's own config."""

from studio.core.vault.facts import version_facts


def test_a_live_run_and_its_finished_checkpoints_say_what_they_are(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    seen = {}

    def look(worker, step):
        if step == 6 and not seen:  # mid-run: the run's model holds only versions being written
            (m,) = [m for m in studio.vault.list_models(user) if m.name.startswith("facts (run")]
            seen["model"] = m

    in_thread.before_step = look
    run = studio.runs.start(user, settings(checkpoint_store="vault", name="facts"))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed", done.message
    live = seen["model"]
    assert live.latest is None and live.writing is not None
    assert live.writing.parameter_count == done.parameters > 0
    assert live.writing.architecture == "GPT 2L/16d"
    facts = version_facts(live.writing)
    assert (facts.family, facts.model_type, facts.context_length) == ("Studio GPT", "gpt", 16)

    (m,) = [m for m in studio.vault.list_models(user) if m.id == done.checkpoint_model_id]
    assert m.writing is None and m.latest is not None  # all committed at the run's end
    facts = version_facts(m.latest)
    assert (facts.family, facts.context_length, facts.tokenizer) == ("Studio GPT", 16, "stored")

    # the run's config.json, stored again as a trained model (as Save to vault and compression do): described
    # from its config summary; a summary too short to build from still names the family and the context
    loaded = studio.vault.load(user, done.checkpoint_model_id)
    stored = studio.vault.add_version(user, None, loaded.tensors, name="facts-copy", config=loaded.config)
    facts = version_facts(stored)
    assert (facts.family, facts.model_type, facts.context_length) == ("Studio GPT", "gpt", 16)
    short = {k: v for k, v in loaded.config.items() if k != "vocab_size"}
    facts = version_facts(studio.vault.add_version(user, "facts-copy", loaded.tensors, config=short))
    assert (facts.family, facts.model_type, facts.context_length) == ("Studio GPT", "gpt", 16)
