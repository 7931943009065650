from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("contacts/contacts", views.ContactViewSet, basename="contacts")
router.register("contacts/newsletter/subscribers", views.SubscriberViewSet, basename="newsletter-subscribers")
router.register("contacts/newsletter", views.NewsletterViewSet, basename="newsletter")

urlpatterns = router.urls
