//! Sealed `requestState`s: what they are bound to, their lifetime, and tampering.

use super::*;

fn bound(subject: &str) -> Binding {
    Binding::new(subject.to_owned(), None, None)
}

fn seal(subject: &str, answers: &JsonObject) -> String {
    super::seal(&bound(subject), answers, now())
}

fn unseal(subject: &str, state: &str) -> Result<JsonObject, ErrorObject> {
    super::unseal(&bound(subject), state, now(), DEFAULT_STATE_TTL_SECS)
}

#[test]
fn states_are_bound_to_the_caller_the_arguments_and_a_lifetime() {
    let args = RawValue::from_string(r#"{"n":1}"#.to_owned()).unwrap();
    let other = RawValue::from_string(r#"{"n":2}"#.to_owned()).unwrap();
    let (alice, bob) = (Principal::new("alice"), Principal::new("bob"));
    let mut answers = JsonObject::new();
    answers.insert("k".into(), serde_json::json!({"action": "accept"}));
    let binding = |p, a| Binding::new("tools/call:t".to_owned(), p, a);
    let state = super::seal(&binding(Some(&alice), Some(&args)), &answers, 1_000);
    let check =
        |b: Binding, now| super::unseal(&b, &state, now, 300).map_err(|e| e.message.into_owned());
    assert_eq!(
        check(binding(Some(&alice), Some(&args)), 1_300),
        Ok(answers)
    );
    let cases = [
        (
            binding(Some(&bob), Some(&args)),
            1_000,
            "it was issued to another caller",
        ),
        (
            binding(None, Some(&args)),
            1_000,
            "it was issued to another caller",
        ),
        (
            binding(Some(&alice), Some(&other)),
            1_000,
            "it was issued for other arguments",
        ),
        (
            binding(Some(&alice), None),
            1_000,
            "it was issued for other arguments",
        ),
        (binding(Some(&alice), Some(&args)), 1_301, "it has expired"),
    ];
    for (b, now, why) in cases {
        assert_eq!(check(b, now), Err(format!("invalid `requestState`: {why}")));
    }
}

#[test]
fn states_verify_and_tampering_is_caught() {
    let mut answers = JsonObject::new();
    answers.insert("k".into(), serde_json::json!({"action": "accept"}));
    let state = seal("tool", &answers);
    assert_eq!(unseal("tool", &state).unwrap(), answers);
    assert!(unseal("other", &state).is_err());
    assert!(unseal("tool", &format!("{state}-TAMPERED")).is_err());
    assert!(unseal("tool", "garbage").is_err());
}

use proptest::prelude::*;

/// JSON without floats, whose text form does not always read back bit for bit.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn answers() -> impl Strategy<Value = JsonObject> {
    prop::collection::btree_map(any::<String>(), json(), 0..4).prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn sealed_states_unseal_to_what_was_sealed(subject in any::<String>(), answers in answers()) {
        prop_assert_eq!(unseal(&subject, &seal(&subject, &answers)), Ok(answers));
    }

    #[test]
    fn a_state_sealed_for_another_subject_is_rejected(
        subject in any::<String>(),
        other in any::<String>(),
        answers in answers(),
    ) {
        prop_assume!(subject != other);
        prop_assert!(unseal(&other, &seal(&subject, &answers)).is_err());
    }

    #[test]
    fn arbitrary_states_are_rejected_without_panic(state in any::<String>()) {
        prop_assert!(unseal("tools/call:t", &state).is_err());
    }
}

proptest! {
    // Every position, every replacement: the few texts that would decode to the same bytes
    // sit at the ends of the two base64 parts, where sampling rarely lands. Each case costs
    // thousands of HMACs, and the tag's end alone is there in every one: few cases do.
    #![proptest_config(ProptestConfig::with_cases(3))]
    #[test]
    fn every_changed_byte_is_rejected(
        answers in prop::collection::btree_map("[a-z]{1,8}", any::<i64>().prop_map(Value::from), 0..3),
    ) {
        let answers: JsonObject = answers.into_iter().collect();
        let state = seal("t", &answers);
        for at in 0..state.len() {
            // The state is ASCII, so any ASCII byte in place of another keeps it a string.
            for byte in (0u8..0x80).filter(|b| *b != state.as_bytes()[at]) {
                let mut changed = state.clone().into_bytes();
                changed[at] = byte;
                let changed = String::from_utf8(changed).unwrap();
                prop_assert!(unseal("t", &changed).is_err(), "{}", changed);
            }
        }
    }
}
