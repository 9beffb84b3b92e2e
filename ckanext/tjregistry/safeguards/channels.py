"""Every channel of the platform, classified once: every action (CKAN core, activity,
scheming, dcat and this plugin) and every page or endpoint (blueprint route).

``tests/safeguards/test_channels.py`` fails when an action or a route is registered that this
table does not name, so a CKAN upgrade or a new feature cannot add an unguarded path
silently: it must be classified here, and its class says how it is kept honest.

Actions:

* ``READ``: can carry dataset, organization, user or activity content. Swept by the
  canary test (restricted values planted over HTTP, then looked for in every answer
  given to an anonymous caller, another registrant and another district's reviewer).
* ``FROZEN_WRITE``: can change, hide, delete, move or purge a dataset, its resources,
  its organization or memberships. Each is guarded by ``freeze.py`` (the test checks
  that this list and freeze's tables are the same).
* ``PROCEDURE``: the registration procedure's own writes, under its rules (the
  workflow's transition table, jurisdiction, the history).
* ``OTHER_WRITE``: writes that cannot change a registered record's content (new
  records, presentation, accounts, follows, site administration), by group below.
* ``NEITHER``: counts, flags, configuration, schemas, vocabularies, help.

Routes: ``READ`` pages show content (the same sweep); ``WRITE`` pages post to the
actions above, whose guards apply; ``NEITHER`` pages hold no record content.
"""
from __future__ import annotations

from collections.abc import Iterable


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


READ = "read"
FROZEN_WRITE = "frozen_write"
PROCEDURE = "procedure"
OTHER_WRITE = "other_write"
NEITHER = "neither"
WRITE = "write"

ACTIONS: dict[str, frozenset[str]] = {
    READ: _names("""
        activity_data_show activity_diff activity_show dashboard_activity_list
        group_activity_list organization_activity_list package_activity_list
        recently_changed_packages_activity_list user_activity_list
        current_package_list_with_resources package_autocomplete package_list
        package_relationships_list package_search package_show resource_search resource_show
        resource_view_list resource_view_show package_collaborator_list
        package_collaborator_list_for_user
        dataset_followee_list dataset_follower_list followee_list group_followee_list
        group_follower_list organization_followee_list organization_follower_list
        user_followee_list user_follower_list
        group_autocomplete group_list group_list_authz group_package_show group_show
        member_list organization_autocomplete organization_list organization_list_for_user
        organization_show user_autocomplete user_list user_show
        tag_list tag_search tag_show
        dcat_catalog_search dcat_catalog_show dcat_dataset_show
        registration_export_list registration_export_show
        agency_delegation_list agency_delegation_show catalogue_entry_list certificate_show
        certificate_renewal_list
        certificate_verify evidence_list evidence_show institution_qualification_list
        institution_supervision_record_list
        institution_service_report objection_list objection_show registration_history
        registration_late_list registration_list registration_notification_list
        registration_publicity_list registration_query registration_show
        registration_submission_show registration_dataset_list
        registration_statistics_show registration_status_show
        registrant_identity_change_list announcement_list
    """),
    FROZEN_WRITE: _names("""
        package_update package_patch package_revise package_resource_reorder
        resource_create resource_update resource_patch resource_delete
        package_delete dataset_purge package_owner_org_update
        bulk_update_private bulk_update_delete bulk_update_public
        package_relationship_create package_relationship_update package_relationship_delete
        member_create member_delete group_member_create group_member_delete
        organization_member_create organization_member_delete tag_delete
        organization_delete organization_purge group_delete group_purge user_delete
    """),
    PROCEDURE: _names("""
        registration_submit registration_resubmit registration_accept registration_approve
        registration_transfer certificate_national_code_set certificate_national_code_import
        registration_refuse registration_reject registration_request_supplement
        registration_revoke registration_revocation_review registration_withdraw
        registration_withdraw_decide certificate_renew objection_create objection_decide
        objection_respond evidence_create agency_delegation_create agency_delegation_revoke
        institution_suspend institution_reinstate institution_qualification_cancel
        institution_supervision_record_create registrant_account_create
        registrant_account_bulk_create registrant_register registrant_verify
        registrant_identity_change_decide certificate_renewal_request certificate_renewal_decide
    """),
    OTHER_WRITE: _names("""
        package_create
        package_create_default_resource_views resource_create_default_resource_views
        resource_view_create resource_view_update resource_view_delete resource_view_reorder
        resource_view_clear
        package_collaborator_create package_collaborator_delete
        organization_create organization_update organization_patch
        group_create group_update group_patch
        user_create user_update user_patch user_invite api_token_create api_token_revoke
        follow_dataset follow_group follow_user unfollow_dataset unfollow_group unfollow_user
        dashboard_mark_activities_old send_email_notifications activity_create
        tag_create vocabulary_create vocabulary_update vocabulary_delete
        config_option_update job_cancel job_clear task_status_update
        task_status_update_many task_status_delete term_translation_update
        term_translation_update_many
    """),
    NEITHER: _names("""
        am_following_dataset am_following_group am_following_user api_token_list
        config_option_list config_option_show dashboard_new_activities_count
        dataset_followee_count dataset_follower_count followee_count group_followee_count
        group_follower_count organization_followee_count organization_follower_count
        user_followee_count user_follower_count format_autocomplete tag_autocomplete
        get_site_user help_show job_list job_show license_list member_roles_list status_show
        task_status_show term_translation_show vocabulary_list vocabulary_show
        scheming_dataset_schema_list scheming_dataset_schema_show
        scheming_organization_schema_list scheming_organization_schema_show
        certificate_key_list registration_history_verify evidence_verify
    """),
}

# Why each OTHER_WRITE cannot change a registered record's content.
OTHER_WRITE_REASONS = {
    "package_create": "creates a new, unregistered dataset",
    "resource_view_*, *_default_resource_views": "how a resource is previewed, not what "
                                                 "is registered",
    "package_collaborator_*": "access grants; collaborators are off in the configuration",
    "organization_*, group_*": "profiles; platform-managed fields are guarded by the "
                               "organization schema's validators",
    "user_*, api_token_*, follow/unfollow, dashboard, e-mail": "accounts and their own lists",
    "activity_create": "the activity plugin's internal record (scrubbed, activity_privacy.py)",
    "tag_create, vocabulary_*, config, jobs, task status, translations": "site administration "
                                                                         "by sysadmins",
}

_DATASET_PAGES = ("dataset", "data-resource", "data-product")

ROUTES: dict[str, frozenset[str]] = {
    READ: _names("""
        activity.dashboard activity.group_activity activity.group_changes
        activity.group_changes_multiple activity.organization_activity
        activity.organization_changes activity.organization_changes_multiple
        activity.package_activity activity.package_changes activity.package_changes_multiple
        activity.package_history activity.resource_history activity.user_activity
        api.action api.dataset_autocomplete api.group_autocomplete
        api.organization_autocomplete api.user_autocomplete api.snippet
        dashboard.datasets dashboard.groups dashboard.organizations
        dcat.read_catalog dcat.read_dataset dcat.read_dataset_series
        feeds.custom feeds.general feeds.group feeds.organization feeds.tag
        group.about group.index group.read group.members group.member_dump
        organization.about organization.index organization.read organization.members
        organization.member_dump organization.followers group.followers
        home.index
        resource.download resource.read resource.view resource.views
        user.index user.read user.read_groups user.read_organizations user.followers user.me
        tjregistry_certificates.certificate_pdf tjregistry_certificates.verify
        tjregistry_dcat.catalog_export tjregistry_dcat.registration_list
        tjregistry_dcat.registration_show
        tjregistry_history.checkpoint_list tjregistry_history.checkpoint_file
        tjregistry_announcements.index tjregistry_announcements.feed
        tjregistry_publicity.evidence tjregistry_publicity.feed tjregistry_publicity.index
        tjregistry_publicity.objection_index tjregistry_publicity.objection_read
        tjregistry_publicity.query tjregistry_publicity.read tjregistry_publicity.track
        tjregistry_statistics.service_report_download tjregistry_statistics.service_report_page
        tjregistry_statistics.statistics_download tjregistry_statistics.statistics_page
        tjregistry_statistics.supervision_page tjregistry_statistics.supervision_records
        tjregistry_workflow.application tjregistry_workflow.dataset_history
        tjregistry_workflow.index tjregistry_workflow.queue tjregistry_workflow.notifications
        tjregistry_workflow.mine
        admin.trash
    """) | frozenset(f"{kind}.{page}" for kind in _DATASET_PAGES
                     for page in ("read", "search", "resources", "followers", "groups"))
        | frozenset(f"{kind}_resource.{page}" for kind in _DATASET_PAGES
                    for page in ("read", "download", "view", "views")),
    WRITE: _names("""
        admin.config admin.reset_config
        group.admins group.bulk_process group.delete group.edit group.follow
        group.manage_members group.member_delete group.member_new group.new group.unfollow
        organization.admins organization.bulk_process organization.delete organization.edit
        organization.follow organization.manage_members organization.member_delete
        organization.member_new organization.new organization.unfollow
        resource.delete resource.edit resource.edit_view resource.new
        user.api_token_revoke user.api_tokens user.delete user.edit user.follow user.unfollow
        user.register user.sysadmin user.perform_reset user.request_reset
        tjregistry_publicity.object_to tjregistry_publicity.objection_action
        tjregistry_statistics.supervision_action tjregistry_statistics.supervision_record_create
        tjregistry_workflow.accounts
        tjregistry_workflow.application_action tjregistry_workflow.dataset_action
        tjregistry_workflow.register_registrant tjregistry_workflow.submit
        tjregistry_certificates.renew tjregistry_dataset_types.choose_type
        tjregistry_certificates.record_national_code tjregistry_certificates.national_code_import
        tjregistry_certificates.renewal_request tjregistry_certificates.renewal_decide
    """) | frozenset(f"{kind}.{page}" for kind in _DATASET_PAGES
                     for page in ("new", "edit", "delete", "follow", "unfollow"))
        | frozenset(f"{kind}_resource.{page}" for kind in _DATASET_PAGES
                    for page in ("new", "edit", "delete", "edit_view")),
    NEITHER: _names("""
        admin.index api.format_autocomplete api.get_api api.i18n_js_translations
        api.tag_autocomplete home.about home.redirect_locale home.robots_txt static
        tjregistry_certificates.key_pem tjregistry_certificates.keys tjregistry_workflow.landing
        tjregistry_history.checkpoint_key tjregistry_calendar.calendar_status
        user.login user.logout user.logged_out_page util.internal_redirect util.primer
        webassets.index
    """),
}


def classification(table: dict[str, frozenset[str]]) -> dict[str, str]:
    """Name -> class; a name in two classes is an error of the table."""
    result: dict[str, str] = {}
    for kind, names in table.items():
        for name in names:
            if name in result:
                raise ValueError(f"{name} is classified twice: {result[name]} and {kind}")
            result[name] = kind
    return result


def unclassified(registered: Iterable[str], table: dict[str, frozenset[str]]) -> list[str]:
    """Registered names the table does not classify."""
    known = classification(table)
    return sorted(set(registered) - known.keys())
