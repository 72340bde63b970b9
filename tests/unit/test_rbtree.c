/* Unit tests of the intrusive red-black tree (libxencore/lib/rbtree.c).
 *
 * credit2 keeps every runqueue's waiting vCPUs in these trees and trusts
 * them for the order it runs vCPUs in and for its O(log n) decision cost. So
 * after every insertion and removal of a long random sequence the tree must
 * still hold exactly the items inserted, in key order (equal keys in
 * insertion order), with the cached first node right and the red-black rules
 * intact, which is what bounds its height. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lib/rbtree.h"

struct item {
    struct rb_node node;
    long key;
    unsigned long seq; /* insertion order, for the tie rule */
    bool in_tree;
};

static unsigned long next_seq;

/* Equal keys go right of each other: first come, first out. */
static void insert(struct rb_tree *tree, struct item *it)
{
    struct rb_node *parent = NULL, *at = tree->root;
    bool left = false;
    while (at) {
        parent = at;
        left = it->key < rb_entry(at, struct item, node)->key;
        at = left ? at->left : at->right;
    }
    it->seq = next_seq++;
    rb_insert(tree, &it->node, parent, left);
    it->in_tree = true;
}

static void erase(struct rb_tree *tree, struct item *it)
{
    rb_erase(tree, &it->node);
    it->in_tree = false;
}

/* Checks the red-black rules below @n; returns its black height. */
static int black_height(const struct rb_node *n, const struct rb_node *parent)
{
    if (!n)
        return 1;
    assert_ptr_equal(n->parent, parent);
    if (n->red) {
        assert_false(n->left && n->left->red);
        assert_false(n->right && n->right->red);
    }
    int left = black_height(n->left, n);
    int right = black_height(n->right, n);
    assert_int_equal(left, right);
    return left + (n->red ? 0 : 1);
}

static void check_tree(const struct rb_tree *tree, size_t expected_count)
{
    assert_int_equal(tree->count, expected_count);
    assert_false(tree->root && tree->root->red);
    int height = black_height(tree->root, NULL);
    /* Black height h means at least 2^(h-1) - 1 nodes: the tree is balanced. */
    assert_true((size_t)1 << (height - 1) <= expected_count + 1);

    size_t seen = 0;
    const struct item *prev = NULL;
    for (struct rb_node *n = rb_first(tree); n; n = rb_next(n)) {
        const struct item *it = rb_entry(n, struct item, node);
        assert_true(it->in_tree);
        if (prev) {
            assert_true(prev->key <= it->key);
            if (prev->key == it->key)
                assert_true(prev->seq < it->seq);
        }
        prev = it;
        seen++;
    }
    assert_int_equal(seen, expected_count);

    /* Backwards from the last node gives the same count. */
    struct rb_node *last = tree->root;
    while (last && last->right)
        last = last->right;
    seen = 0;
    for (struct rb_node *n = last; n; n = rb_prev(n))
        seen++;
    assert_int_equal(seen, expected_count);
}

static void test_empty_and_single(void **state)
{
    (void)state;
    struct rb_tree tree = RB_TREE_INIT;
    struct item a = {.key = 5};
    assert_null(rb_first(&tree));
    insert(&tree, &a);
    assert_ptr_equal(rb_first(&tree), &a.node);
    check_tree(&tree, 1);
    erase(&tree, &a);
    assert_null(rb_first(&tree));
    assert_null(tree.root);
    check_tree(&tree, 0);
}

static void test_sorted_insertions_stay_balanced(void **state)
{
    (void)state;
    enum { N = 4096 };
    struct item *items = calloc(N, sizeof(*items));
    assert_non_null(items);
    struct rb_tree tree = RB_TREE_INIT;
    for (int i = 0; i < N; i++) {
        items[i].key = i; /* the worst case for an unbalanced tree */
        insert(&tree, &items[i]);
    }
    check_tree(&tree, N);
    assert_ptr_equal(rb_first(&tree), &items[0].node);
    for (int i = 0; i < N; i += 2)
        erase(&tree, &items[i]);
    check_tree(&tree, N / 2);
    assert_ptr_equal(rb_first(&tree), &items[1].node);
    free(items);
}

static void test_equal_keys_first_in_first_out(void **state)
{
    (void)state;
    struct item items[8];
    struct rb_tree tree = RB_TREE_INIT;
    for (int i = 0; i < 8; i++) {
        items[i] = (struct item){.key = 7};
        insert(&tree, &items[i]);
    }
    for (int i = 0; i < 8; i++) {
        struct item *first = rb_entry(rb_first(&tree), struct item, node);
        assert_ptr_equal(first, &items[i]);
        erase(&tree, first);
    }
    check_tree(&tree, 0);
}

static void test_random_inserts_and_removals(void **state)
{
    (void)state;
    enum { N = 1500, STEPS = 200000 };
    struct item *items = calloc(N, sizeof(*items));
    assert_non_null(items);
    struct rb_tree tree = RB_TREE_INIT;
    size_t count = 0;
    srand(4);
    for (int step = 0; step < STEPS; step++) {
        struct item *it = &items[rand() % N];
        if (it->in_tree) {
            erase(&tree, it);
            count--;
        } else {
            it->key = rand() % 300; /* many equal keys */
            insert(&tree, it);
            count++;
        }
        /* The cached first node is the leftmost one after every change. */
        struct rb_node *leftmost = tree.root;
        while (leftmost && leftmost->left)
            leftmost = leftmost->left;
        assert_ptr_equal(rb_first(&tree), leftmost);
        if (step % 1000 == 0)
            check_tree(&tree, count);
    }
    check_tree(&tree, count);
    free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_single),
        cmocka_unit_test(test_sorted_insertions_stay_balanced),
        cmocka_unit_test(test_equal_keys_first_in_first_out),
        cmocka_unit_test(test_random_inserts_and_removals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
