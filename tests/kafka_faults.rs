//! How the admin layer behaves when the broker misbehaves (test-broker fault injection).
//! These pin today's behaviour: librdkafka does not retry a per-item NOT_CONTROLLER, so it
//! surfaces as that item's typed failure.

mod kafka_common;

use kafka_common::*;
use kafkamirror::model::acl::{AclBinding, Operation, PatternType, ResourceType};

fn binding() -> AclBinding {
    AclBinding::allow(
        "User:mm2",
        ResourceType::Topic,
        "orders",
        PatternType::Literal,
        Operation::Read,
    )
}

#[tokio::test]
async fn a_per_binding_not_controller_is_reported_for_that_binding() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    broker.hooks().reset_counts();
    broker.hooks().inject_error(api::CREATE_ACLS, 41, 1);
    let results = admin.create_acls(&[binding()]).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().name, "NOT_CONTROLLER");
    assert_eq!(
        broker.hooks().count(api::CREATE_ACLS),
        1,
        "librdkafka did not retry"
    );
    // The next request is not affected.
    assert_eq!(admin.create_acls(&[binding()]).await.unwrap(), vec![Ok(())]);
}
